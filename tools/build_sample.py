#!/usr/bin/env python3
"""Build the bundled sample snapshot in ``pipeline/sample_data/`` (standard library only).

It writes a small snapshot in the real OpenAlex layout (gzipped JSON Lines part files,
manifests, a merged_ids CSV) plus a platform events file, then re-reads the written files
and checks the figures the product shows for the seed researchers (``../shared/seeds`` beside the repo, when present).

    python tools/build_sample.py            # (re)write pipeline/sample_data/, then check it
    python tools/build_sample.py --check    # only check the files already there

Output is deterministic (gzip mtime=0, fixed record order), so a rerun gives identical bytes.

What is real and what is made up:
- titles, years, type, venue and abstracts are verbatim from the seed pages; for seed 003
  (Qianyi Li) also the publication dates and the author lists;
- co-authors of seeds 000, 002 and 004 are invented (the pages do not list authors), as are
  publication dates other than seed 003's (the pages give only the year), citation counts,
  all ids except the arXiv source id, and the topic ids/names (modelled on OpenAlex's topic
  taxonomy; only T10320 is taken from a real record).
"""
from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

# Short OpenAlex ids of the people tests and docs refer to.
AUTHOR_IDS = {
    "qianli_liao": "A5010000001",  # seed 000
    "liu_ziyin": "A5020000002",  # seed 002
    "qianyi_li": "A5030000003",  # seed 003
    "lifu_wang": "A5040000004",  # seed 004
    "haim_sompolinsky": "A5012345678",  # surviving id
    "haozhe_shan": "A5030000011",
    "yehonatan_avidan": "A5030000012",
}
SOMPOLINSKY_OLD_ID = "A5099000001"  # merged into haim_sompolinsky on 2024-03-01

# Figures the warehouse must produce for the seeds (from the seed pages); check() asserts them.
# close = co-authors sharing >= 2 distinct works.
EXPECTED = {
    "qianli_liao": {"works": 3, "topics": 4, "close_collaborators": 4},
    "liu_ziyin": {"works": 9, "topics": 9, "close_collaborators": 4},
    "lifu_wang": {"works": 3, "topics": 2, "close_collaborators": 4},
    "qianyi_li": {"works": 4, "cited_by_count": 134, "close_collaborators": 1,
                  "shared_works": {"haim_sompolinsky": 4, "haozhe_shan": 1, "yehonatan_avidan": 1}},
}
CLOSE_MIN_SHARED_WORKS = 2

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "pipeline" / "sample_data"
DEFAULT_SEEDS = REPO.parent / "shared" / "seeds"  # optional (next to a checkout): verbatim-text check

OPENALEX = "https://openalex.org/"
ARXIV_SOURCE = {"id": OPENALEX + "S4306400194", "display_name": "arXiv (Cornell University)",
                "type": "repository"}
OLD_PARTITION, NEW_PARTITION = "2024-01-15", "2024-06-01"
MERGE_DATE = "2024-03-01"

# --------------------------------------------------------------------------------------
# People: short id -> (display name, ORCID or None). One id per person, always.
# --------------------------------------------------------------------------------------
PEOPLE = {
    # seeds (verification level L1: no ORCID)
    "A5010000001": ("Qianli Liao", None),
    "A5020000002": ("Liu Ziyin", None),
    "A5030000003": ("Qianyi Li", None),
    "A5040000004": ("Lifu Wang", None),
    # seed 003's co-authors, as the page lists them
    "A5012345678": ("Haim Sompolinsky", "https://orcid.org/0000-0002-0000-0006"),
    "A5030000011": ("Haozhe Shan", None),
    "A5030000012": ("Yehonatan Avidan", None),
    # seed 000's co-authors (invented)
    "A5010000011": ("Adrian Keller", None),
    "A5010000012": ("Mei Takahara", None),
    "A5010000013": ("Jonas Brandt", None),
    "A5010000014": ("Farah Nasser", None),
    "A5010000015": ("Diego Salcedo", None),
    "A5010000016": ("Nora Eklund", None),
    # seed 002's co-authors (invented)
    "A5020000011": ("Kaito Moriyama", None),
    "A5020000012": ("Elena Varga", None),
    "A5020000013": ("Tobias Lindqvist", None),
    "A5020000014": ("Priya Raman", None),
    "A5020000015": ("Sofia Quintero", None),
    "A5020000016": ("Hyun-woo Baek", None),
    "A5020000017": ("Marco Bellini", None),
    "A5020000018": ("Ilse Voorhees", None),
    # seed 004's co-authors (invented)
    "A5040000011": ("Yuxuan Chen", None),
    "A5040000012": ("Mingzhe Li", None),
    "A5040000013": ("Zhenyu Tang", None),
    "A5040000014": ("Ruihan Guo", None),
    "A5040000015": ("Jiaqi Sun", None),
}
# Old ids that appear on works but were merged away (no author record, no ORCID on the work).
OLD_IDS = {SOMPOLINSKY_OLD_ID: ("Haim Sompolinsky", None)}

# --------------------------------------------------------------------------------------
# Topics: id -> (name, (subfield id, name), (field id, name), (domain id, name))
# --------------------------------------------------------------------------------------
_AI = ("1702", "Artificial Intelligence")
_CV = ("1707", "Computer Vision and Pattern Recognition")
_IS = ("1710", "Information Systems")
_CS = ("17", "Computer Science")
_STATPHYS = ("3109", "Statistical and Nonlinear Physics")
_PHYS = ("31", "Physics and Astronomy")
_COGNEURO = ("2805", "Cognitive Neuroscience")
_NEURO = ("28", "Neuroscience")
_FIN = ("2003", "Finance")
_ECON = ("20", "Economics, Econometrics and Finance")
_PHYSICAL, _LIFE, _SOCIAL = ("3", "Physical Sciences"), ("1", "Life Sciences"), ("2", "Social Sciences")
TOPICS = {
    "T10320": ("Neural Networks and Applications", _AI, _CS, _PHYSICAL),
    "T11612": ("Stochastic Gradient Optimization Techniques", _AI, _CS, _PHYSICAL),
    "T10036": ("Advanced Neural Network Applications", _CV, _CS, _PHYSICAL),
    "T10581": ("Neural dynamics and brain function", _COGNEURO, _NEURO, _LIFE),
    "T11273": ("Statistical Mechanics of Learning", _STATPHYS, _PHYS, _PHYSICAL),
    "T12157": ("Complex Systems and Time Series Analysis", _STATPHYS, _PHYS, _PHYSICAL),
    "T10418": ("Market Dynamics and Volatility", _FIN, _ECON, _SOCIAL),
    "T11493": ("Gaussian Processes and Bayesian Inference", _AI, _CS, _PHYSICAL),
    "T10982": ("Stochastic Thermodynamics and Fluctuation Relations", _STATPHYS, _PHYS, _PHYSICAL),
    "T11775": ("Learning with Noisy Labels", _AI, _CS, _PHYSICAL),
    "T10764": ("Privacy-Preserving Technologies in Data", _IS, _CS, _PHYSICAL),
}

TEXTS = {
    # --- seed 000 ---
    "L1": (
        r"""Bridging the Gaps Between Residual Learning, Recurrent Neural Networks and Visual Cortex""",
        r"""We discuss relations between Residual Networks (ResNet), Recurrent Neural Networks (RNNs) and the primate visual cortex. We begin with the observation that a special type of shallow RNN is exactly equivalent to a very deep ResNet with weight sharing among the layers. A direct implementation of such a RNN, although having orders of magnitude fewer parameters, leads to a performance similar to the corresponding ResNet. We propose 1) a generalization of both RNN and ResNet architectures and 2) the conjecture that a class of moderately deep RNNs is a biologically-plausible model of the ventral stream in visual cortex. We demonstrate the effectiveness of the architectures by testing them on the CIFAR-10 and ImageNet dataset.""",
    ),
    "L2": (
        r"""Explicit regularization and implicit bias in deep network classifiers trained with the square loss""",
        r"""Deep ReLU networks trained with the square loss have been observed to perform well in classification tasks. We provide here a theoretical justification based on analysis of the associated gradient flow. We show that convergence to a solution with the absolute minimum norm is expected when normalization techniques such as Batch Normalization (BN) or Weight Normalization (WN) are used together with Weight Decay (WD). The main property of the minimizers that bounds their expected error is the norm: we prove that among all the close-to-interpolating solutions, the ones associated with smaller Frobenius norms of the unnormalized weight matrices have better margin and better bounds on the expected classification error. With BN but in the absence of WD, the dynamical system is singular. Implicit dynamical regularization -- that is zero-initial conditions biasing the dynamics towards high margin solutions -- is also possible in the no-BN and no-WD case. The theory yields several predictions, including the role of BN and weight decay, aspects of Papyan, Han and Donoho's Neural Collapse and the constraints induced by BN on the network weights.""",
    ),
    "L3": (
        r"""Theory III: Dynamics and Generalization in Deep Networks""",
        r"""The key to generalization is controlling the complexity of the network. However, there is no obvious control of complexity -- such as an explicit regularization term -- in the training of deep networks for classification. We will show that a classical form of norm control -- but kind of hidden -- is present in deep networks trained with gradient descent techniques on exponential-type losses. In particular, gradient descent induces a dynamics of the normalized weights which converge for $t \to \infty$ to an equilibrium which corresponds to a minimum norm (or maximum margin) solution. For sufficiently large but finite $ρ$ -- and thus finite $t$ -- the dynamics converges to one of several margin maximizers, with the margin monotonically increasing towards a limit stationary point of the flow. In the usual case of stochastic gradient descent, most of the stationary points are likely to be convex minima corresponding to a constrained minimizer -- the network with normalized weights-- which corresponds to vanishing regularization. The solution has zero generalization gap, for fixed architecture, asymptotically for $N \to \infty$, where $N$ is the number of training examples. Our approach extends some of the original results of Srebro from linear networks to deep networks and provides a new perspective on the implicit bias of gradient descent. We believe that the elusive complexity control we describe is responsible for the puzzling empirical finding of good predictive performance by deep networks, despite overparametrization.""",
    ),
    # --- seed 002 ---
    "Z1": (
        r"""Exact Phase Transitions in Deep Learning""",
        r"""This work reports deep-learning-unique first-order and second-order phase transitions, whose phenomenology closely follows that in statistical physics. In particular, we prove that the competition between prediction error and model complexity in the training loss leads to the second-order phase transition for nets with one hidden layer and the first-order phase transition for nets with more than one hidden layer. The proposed theory is directly relevant to the optimization of neural networks and points to an origin of the posterior collapse problem in Bayesian deep learning.""",
    ),
    "Z2": (
        r"""Power Laws and Symmetries in a Minimal Model of Financial Market Economy""",
        r"""A financial market is a system resulting from the complex interaction between participants in a closed economy. We propose a minimal microscopic model of the financial market economy based on the real economy's symmetry constraint and minimality requirement. We solve the proposed model analytically in the mean-field regime, which shows that various kinds of universal power-law-like behaviors in the financial market may depend on one another, just like the critical exponents in physics. We then discuss the parameters in the proposed model, and we show that each parameter in our model can be related to measurable quantities in the real market, which enables us to discuss the cause of a few kinds of social and economic phenomena.""",
    ),
    "Z3": (
        r"""Power-law escape rate of SGD""",
        r"""Stochastic gradient descent (SGD) undergoes complicated multiplicative noise for the mean-square loss. We use this property of SGD noise to derive a stochastic differential equation (SDE) with simpler additive noise by performing a random time change. Using this formalism, we show that the log loss barrier $Δ\log L=\log[L(θ^s)/L(θ^*)]$ between a local minimum $θ^*$ and a saddle $θ^s$ determines the escape rate of SGD from the local minimum, contrary to the previous results borrowing from physics that the linear loss barrier $ΔL=L(θ^s)-L(θ^*)$ decides the escape rate. Our escape-rate formula strongly depends on the typical magnitude $h^*$ and the number $n$ of the outlier eigenvalues of the Hessian. This result explains an empirical fact that SGD prefers flat minima with low effective dimensions, giving an insight into implicit biases of SGD.""",
    ),
    "Z4": (
        r"""Stochastic Neural Networks with Infinite Width are Deterministic""",
        r"""This work theoretically studies stochastic neural networks, a main type of neural network in use. We prove that as the width of an optimized stochastic neural network tends to infinity, its predictive variance on the training set decreases to zero. Our theory justifies the common intuition that adding stochasticity to the model can help regularize the model by introducing an averaging effect. Two common examples that our theory can be relevant to are neural networks with dropout and Bayesian latent variable models in a special limit. Our result thus helps better understand how stochasticity affects the learning of neural networks and potentially design better architectures for practical problems.""",
    ),
    "Z5": (
        r"""Strength of Minibatch Noise in SGD""",
        r"""The noise in stochastic gradient descent (SGD), caused by minibatch sampling, is poorly understood despite its practical importance in deep learning. This work presents the first systematic study of the SGD noise and fluctuations close to a local minimum. We first analyze the SGD noise in linear regression in detail and then derive a general formula for approximating SGD noise in different types of minima. For application, our results (1) provide insight into the stability of training a neural network, (2) suggest that a large learning rate can help generalization by introducing an implicit regularization, (3) explain why the linear learning rate-batchsize scaling law fails at a large learning rate or at a small batchsize and (4) can provide an understanding of how discrete-time nature of SGD affects the recently discovered power-law phenomenon of SGD.""",
    ),
    "Z6": (
        r"""Universal Thermodynamic Uncertainty Relation in Non-Equilibrium Dynamics""",
        r"""We derive a universal thermodynamic uncertainty relation (TUR) that applies to an arbitrary observable in a general Markovian system. The generality of our result allows us to make two findings: (1) for an arbitrary out-of-equilibrium system, both the entropy production and the \textit{degree of non-stationarity} are required to tightly bound the strength of a thermodynamic current; (2) by removing the antisymmetric constraint on observables, the TUR in physics and a fundamental inequality in theoretical finance can be unified in a single framework.""",
    ),
    "Z7": (
        r"""Learning Not to Learn in the Presence of Noisy Labels""",
        r"""Learning in the presence of label noise is a challenging yet important task: it is crucial to design models that are robust in the presence of mislabeled datasets. In this paper, we discover that a new class of loss functions called the gambler's loss provides strong robustness to label noise across various levels of corruption. We show that training with this loss function encourages the model to "abstain" from learning on the data points with noisy labels, resulting in a simple and effective method to improve robustness and generalization. In addition, we propose two practical extensions of the method: 1) an analytical early stopping criterion to approximately stop training before the memorization of noisy labels, as well as 2) a heuristic for setting hyperparameters which do not require knowledge of the noise corruption rate. We demonstrate the effectiveness of our method by achieving strong results across three image and text classification tasks as compared to existing baselines.""",
    ),
    "Z8": (
        r"""Think Locally, Act Globally: Federated Learning with Local and Global Representations""",
        r"""Federated learning is a method of training models on private data distributed over multiple devices. To keep device data private, the global model is trained by only communicating parameters and updates which poses scalability challenges for large models. To this end, we propose a new federated learning algorithm that jointly learns compact local representations on each device and a global model across all devices. As a result, the global model can be smaller since it only operates on local representations, reducing the number of communicated parameters. Theoretically, we provide a generalization analysis which shows that a combination of local and global models reduces both variance in the data as well as variance across device distributions. Empirically, we demonstrate that local models enable communication-efficient training while retaining performance. We also evaluate on the task of personalized mood prediction from real-world mobile data where privacy is key. Finally, local models handle heterogeneous data from new devices, and learn fair representations that obfuscate protected attributes such as race, age, and gender.""",
    ),
    "Z9": (
        r"""Volumization as a Natural Generalization of Weight Decay""",
        r"""We propose a novel regularization method, called \textit{volumization}, for neural networks. Inspired by physics, we define a physical volume for the weight parameters in neural networks, and we show that this method is an effective way of regularizing neural networks. Intuitively, this method interpolates between an $L_2$ and $L_\infty$ regularization. Therefore, weight decay and weight clipping become special cases of the proposed algorithm. We prove, on a toy example, that the essence of this method is a regularization technique to control bias-variance tradeoff. The method is shown to do well in the categories where the standard weight decay method is shown to work well, including improving the generalization of networks and preventing memorization. Moreover, we show that the volumization might lead to a simple method for training a neural network whose weight is binary or ternary.""",
    ),
    # --- seed 003 ---
    "Q1": (
        r"""Globally Gated Deep Linear Networks""",
        r"""Recently proposed Gated Linear Networks present a tractable nonlinear network architecture, and exhibit interesting capabilities such as learning with local error signals and reduced forgetting in sequential learning. In this work, we introduce a novel gating architecture, named Globally Gated Deep Linear Networks (GGDLNs) where gating units are shared among all processing units in each layer, thereby decoupling the architectures of the nonlinear but unlearned gatings and the learned linear processing motifs. We derive exact equations for the generalization properties in these networks in the finite-width thermodynamic limit, defined by $P,N\rightarrow\infty, P/N\sim O(1)$, where P and N are the training sample size and the network width respectively. We find that the statistics of the network predictor can be expressed in terms of kernels that undergo shape renormalization through a data-dependent matrix compared to the GP kernels. Our theory accurately captures the behavior of finite width GGDLNs trained with gradient descent dynamics. We show that kernel shape renormalization gives rise to rich generalization properties w.r.t. network width, depth and L2 regularization amplitude. Interestingly, networks with sufficient gating units behave similarly to standard ReLU networks. Although gatings in the model do not participate in supervised learning, we show the utility of unsupervised learning of the gating parameters. Additionally, our theory allows the evaluation of the network's ability for learning multiple tasks by incorporating task-relevant information into the gating units. In summary, our work is the first exact theoretical solution of learning in a family of nonlinear networks with finite width. The rich and diverse behavior of the GGDLNs suggests that they are helpful analytically tractable models of learning single and multiple tasks, in finite-width nonlinear deep networks.""",
    ),
    "Q2": (
        r"""Order parameters and phase transitions of continual learning in deep neural networks""",
        r"""Continual learning (CL) enables animals to learn new tasks without erasing prior knowledge. CL in artificial neural networks (NNs) is challenging due to catastrophic forgetting, where new learning degrades performance on older tasks. While various techniques exist to mitigate forgetting, theoretical insights into when and why CL fails in NNs are lacking. Here, we present a statistical-mechanics theory of CL in deep, wide NNs, which characterizes the network's input-output mapping as it learns a sequence of tasks. It gives rise to order parameters (OPs) that capture how task relations and network architecture influence forgetting and anterograde interference, as verified by numerical evaluations. For networks with a shared readout for all tasks (single-head CL), the relevant-feature and rule similarity between tasks, respectively measured by two OPs, are sufficient to predict a wide range of CL behaviors. In addition, the theory predicts that increasing the network depth can effectively reduce interference between tasks, thereby lowering forgetting. For networks with task-specific readouts (multi-head CL), the theory identifies a phase transition where CL performance shifts dramatically as tasks become less similar, as measured by another task-similarity OP. While forgetting is relatively mild compared to single-head CL across all tasks, sufficiently low similarity leads to catastrophic anterograde interference, where the network retains old tasks perfectly but completely fails to generalize new learning. Our results delineate important factors affecting CL performance and suggest strategies for mitigating forgetting.""",
    ),
    "Q3": (
        r"""Connecting NTK and NNGP: A Unified Theoretical Framework for Wide Neural Network Learning Dynamics""",
        r"""Artificial neural networks have revolutionized machine learning in recent years, but a complete theoretical framework for their learning process is still lacking. Substantial advances were achieved for wide networks, within two disparate theoretical frameworks: the Neural Tangent Kernel (NTK), which assumes linearized gradient descent dynamics, and the Bayesian Neural Network Gaussian Process (NNGP). We unify these two theories using gradient descent learning with an additional noise in an ensemble of wide deep networks. We construct an analytical theory for the network input-output function and introduce a new time-dependent Neural Dynamical Kernel (NDK) from which both NTK and NNGP kernels are derived. We identify two learning phases: a gradient-driven learning phase, dominated by loss minimization, in which the time scale is governed by the initialization variance. It is followed by a slow diffusive learning stage, where the parameters sample the solution space, with a time constant decided by the noise and the Bayesian prior variance. The two variance parameters strongly affect the performance in the two regimes, especially in sigmoidal neurons. In contrast to the exponential convergence of the mean predictor in the initial phase, the convergence to the equilibrium is more complex and may behave nonmonotonically. By characterizing the diffusive phase, our work sheds light on representational drift in the brain, explaining how neural activity changes continuously without degrading performance, either by ongoing gradient signals that synchronize the drifts of different synapses or by architectural biases that generate task-relevant information that is robust against the drift process. This work closes the gap between the NTK and NNGP theories, providing a comprehensive framework for the learning process of deep wide neural networks and for analyzing dynamics in biological circuits.""",
    ),
    "Q4": (
        r"""Statistical Mechanics of Deep Linear Neural Networks: The Back-Propagating Kernel Renormalization""",
        r"""The success of deep learning in many real-world tasks has triggered an intense effort to understand the power and limitations of deep learning in the training and generalization of complex tasks, so far with limited progress. In this work, we study the statistical mechanics of learning in Deep Linear Neural Networks (DLNNs) in which the input-output function of an individual unit is linear. Despite the linearity of the units, learning in DLNNs is nonlinear, hence studying its properties reveals some of the features of nonlinear Deep Neural Networks (DNNs). Importantly, we solve exactly the network properties following supervised learning using an equilibrium Gibbs distribution in the weight space. To do this, we introduce the Back-Propagating Kernel Renormalization (BPKR), which allows for the incremental integration of the network weights starting from the network output layer and progressing backward until the first layer's weights are integrated out. This procedure allows us to evaluate important network properties, such as its generalization error, the role of network width and depth, the impact of the size of the training set, and the effects of weight regularization and learning stochasticity. BPKR does not assume specific statistics of the input or the task's output. Furthermore, by performing partial integration of the layers, the BPKR allows us to compute the properties of the neural representations across the different hidden layers. We have proposed an extension of the BPKR to nonlinear DNNs with ReLU. Surprisingly, our numerical simulations reveal that despite the nonlinearity, the predictions of our theory are largely shared by ReLU networks in a wide regime of parameters. Our work is the first exact statistical mechanical study of learning in a family of DNNs, and the first successful theory of learning through successive integration of DoFs in the learned weight space.""",
    ),
    # --- seed 004 ---
    "F1": (
        r"""On the Provable Generalization of Recurrent Neural Networks""",
        r"""Recurrent Neural Network (RNN) is a fundamental structure in deep learning. Recently, some works study the training process of over-parameterized neural networks, and show that over-parameterized networks can learn functions in some notable concept classes with a provable generalization error bound. In this paper, we analyze the training and generalization for RNNs with random initialization, and provide the following improvements over recent works: 1) For a RNN with input sequence $x=(X_1,X_2,...,X_L)$, previous works study to learn functions that are summation of $f(β^T_lX_l)$ and require normalized conditions that $||X_l||\leqε$ with some very small $ε$ depending on the complexity of $f$. In this paper, using detailed analysis about the neural tangent kernel matrix, we prove a generalization error bound to learn such functions without normalized conditions and show that some notable concept classes are learnable with the numbers of iterations and samples scaling almost-polynomially in the input length $L$. 2) Moreover, we prove a novel result to learn N-variables functions of input sequence with the form $f(β^T[X_{l_1},...,X_{l_N}])$, which do not belong to the "additive" concept class, i,e., the summation of function $f(X_l)$. And we show that when either $N$ or $l_0=\max(l_1,..,l_N)-\min(l_1,..,l_N)$ is small, $f(β^T[X_{l_1},...,X_{l_N}])$ will be learnable with the number iterations and samples scaling almost-polynomially in the input length $L$.""",
    ),
    "F2": (
        r"""Is the Skip Connection Provable to Reform the Neural Network Loss Landscape?""",
        r"""The residual network is now one of the most effective structures in deep learning, which utilizes the skip connections to ``guarantee&#34; the performance will not get worse. However, the non-convexity of the neural network makes it unclear whether the skip connections do provably improve the learning ability since the nonlinearity may create many local minima. In some previous works \cite{freeman2016topology}, it is shown that despite the non-convexity, the loss landscape of the two-layer ReLU network has good properties when the number $m$ of hidden nodes is very large. In this paper, we follow this line to study the topology (sub-level sets) of the loss landscape of deep ReLU neural networks with a skip connection and theoretically prove that the skip connection network inherits the good properties of the two-layer network and skip connections can help to control the connectedness of the sub-level sets, such that any local minima worse than the global minima of some two-layer ReLU network will be very ``shallow&#34;. The ``depth&#34; of these local minima are at most $O(m^{(η-1)/n})$, where $n$ is the input dimension, $η<1$. This provides a theoretical explanation for the effectiveness of the skip connection in deep learning.""",
    ),
    "F3": (
        r"""Second-Order Convergence of Asynchronous Parallel Stochastic Gradient Descent: When Is the Linear Speedup Achieved?""",
        r"""In machine learning, asynchronous parallel stochastic gradient descent (APSGD) is broadly used to speed up the training process through multi-workers. Meanwhile, the time delay of stale gradients in asynchronous algorithms is generally proportional to the total number of workers, which brings additional deviation from the accurate gradient due to using delayed gradients. This may have a negative influence on the convergence of the algorithm. One may ask: How many workers can we use at most to achieve a good convergence and the linear speedup? In this paper, we consider the second-order convergence of asynchronous algorithms in non-convex optimization. We investigate the behaviors of APSGD with consistent read near strictly saddle points and provide a theoretical guarantee that if the total number of workers is bounded by $\widetilde{O}(K^{1/3}M^{-1/3})$ ($K$ is the total steps and $M$ is the mini-batch size), APSGD will converge to good stationary points ($||\nabla f(x)||\leq ε, \nabla^2 f(x)\succeq -\sqrtε\bm{I}, ε^2\leq O(\sqrt{\frac{1}{MK}}) $) and the linear speedup is achieved. Our works give the first theoretical guarantee on the second-order convergence for asynchronous algorithms. The technique we provide can be generalized to analyze other types of asynchronous algorithms to understand the behaviors of asynchronous algorithms in distributed asynchronous parallel training.""",
    ),
}

# --------------------------------------------------------------------------------------
# Works. "authors" is the authorship order; an entry may be (id, raw_author_name) to give a
# raw name different from the display name. "topics" are (topic id, score), primary first.
# --------------------------------------------------------------------------------------
Q = AUTHOR_IDS
WORKS = [
    # ---- seed 000 Qianli Liao: 3 works, topics {T10320, T10581, T10036, T11612} = 4.
    # Close: Keller (3 works), Takahara (L1, L2), Brandt (L2, L3), Nasser (L1, L3); Salcedo
    # and Eklund share only L3 (collaborators, not close).
    dict(key="L1", id="W4200000101", date="2020-04-13", cited=212, created="2020-04-15",
         partition=OLD_PARTITION, updated="2024-01-15T02:41:09.551204",
         authors=[Q["qianli_liao"], "A5010000012", "A5010000014", "A5010000011"],
         topics=[("T10320", 0.9987), ("T10581", 0.9702), ("T10036", 0.9315)]),
    dict(key="L2", id="W4200000102", date="2020-12-31", cited=27, created="2021-01-05",
         partition=OLD_PARTITION, updated="2024-01-15T02:41:10.004417",
         authors=["A5010000011", Q["qianli_liao"], "A5010000012", "A5010000013"],
         topics=[("T10320", 0.9991), ("T11612", 0.9876)]),
    dict(key="L3", id="W4200000103", date="2020-03-12", cited=46, created="2020-03-14",
         partition=OLD_PARTITION, updated="2024-01-15T02:41:11.380902",
         authors=[Q["qianli_liao"], "A5010000013", "A5010000014", "A5010000015",
                  "A5010000016", "A5010000011"],
         topics=[("T11612", 0.9968), ("T10320", 0.9912)]),
    # ---- seed 002 Liu Ziyin: 9 works, 9 topics.
    # Close: Moriyama (Z1 Z2 Z3 Z5 Z6 Z9), Varga (Z3 Z4 Z5), Lindqvist (Z7 Z9), Raman (Z7 Z8).
    # One shared work only: Quintero (Z2, listed twice), Baek (Z4), Bellini (Z8), Voorhees (Z6).
    dict(key="Z1", id="W4200000201", date="2022-05-25", cited=19, created="2022-05-27",
         partition=OLD_PARTITION, updated="2024-01-15T03:12:45.123456",
         authors=[Q["liu_ziyin"], "A5020000011"],
         topics=[("T10320", 0.9954), ("T11273", 0.9611)]),
    # EDGE CASE 3 (author listed twice on one work): Sofia Quintero appears twice in
    # authorships, same id, second time with another raw name. Tests that authorships are
    # one row per (work, author): counted per row she would share "2 works" with Liu Ziyin
    # and become a 5th close collaborator.
    dict(key="Z2", id="W4200000202", date="2022-08-30", cited=5, created="2022-09-01",
         partition=OLD_PARTITION, updated="2024-01-15T03:12:46.270031",
         authors=[Q["liu_ziyin"], "A5020000015", ("A5020000015", "S. Quintero"), "A5020000011"],
         topics=[("T10418", 0.9893), ("T12157", 0.9420)]),
    dict(key="Z3", id="W4200000203", date="2022-05-20", cited=24, created="2022-05-24",
         partition=OLD_PARTITION, updated="2024-01-15T03:12:47.918264",
         authors=[Q["liu_ziyin"], "A5020000012", "A5020000011"],
         topics=[("T11612", 0.9990), ("T10320", 0.9732)]),
    dict(key="Z4", id="W4200000204", date="2022-01-30", cited=11, created="2022-02-01",
         partition=OLD_PARTITION, updated="2024-01-15T03:12:48.045577",
         authors=[Q["liu_ziyin"], "A5020000016", "A5020000012"],
         topics=[("T10320", 0.9961), ("T11493", 0.9518)]),
    dict(key="Z5", id="W4200000205", date="2022-02-11", cited=33, created="2022-02-15",
         partition=OLD_PARTITION, updated="2024-01-15T03:12:49.660128",
         authors=[Q["liu_ziyin"], "A5020000012", "A5020000011"],
         topics=[("T11612", 0.9995)]),
    dict(key="Z6", id="W4200000206", date="2022-07-19", cited=7, created="2022-07-21",
         partition=OLD_PARTITION, updated="2024-01-15T03:12:50.301949",
         authors=[Q["liu_ziyin"], "A5020000018", "A5020000011"],
         topics=[("T10982", 0.9978), ("T11273", 0.9105)]),
    dict(key="Z7", id="W4200000207", date="2020-02-16", cited=58, created="2020-02-19",
         partition=OLD_PARTITION, updated="2024-01-15T03:12:51.777310",
         authors=[Q["liu_ziyin"], "A5020000013", "A5020000014"],
         topics=[("T11775", 0.9983), ("T10320", 0.9644)]),
    dict(key="Z8", id="W4200000208", date="2020-01-06", cited=301, created="2020-01-08",
         partition=OLD_PARTITION, updated="2024-01-15T03:12:52.412886",
         authors=["A5020000014", Q["liu_ziyin"], "A5020000017"],
         topics=[("T10764", 0.9997)]),
    dict(key="Z9", id="W4200000209", date="2020-03-25", cited=9, created="2020-03-27",
         partition=OLD_PARTITION, updated="2024-01-15T03:12:53.090415",
         authors=[Q["liu_ziyin"], "A5020000013", "A5020000011"],
         topics=[("T10320", 0.9940), ("T11612", 0.9721)]),
    # ---- seed 003 Qianyi Li: 4 works, authors as on the page; cited 31 + 8 + 17 + 78 = 134.
    # EDGE CASE 1 (newest record wins): Q1 is also written, older, to updated_date=2024-01-15
    # with cited_by_count 24 (see OLD_VERSIONS). Summing both versions gives 158, taking the
    # old one gives 127; only "latest updated_date wins" gives 134.
    dict(key="Q1", id="W4200000301", date="2022-10-31", cited=31, created="2022-11-02",
         partition=NEW_PARTITION, updated="2024-06-01T04:20:13.884210",
         authors=[Q["qianyi_li"], Q["haim_sompolinsky"]],
         topics=[("T10320", 0.9975), ("T11273", 0.9836)]),
    # Q2's page date (2024-07-14) is after the newest partition (2024-06-01) of the fixed
    # layout; it is kept as on the page (OpenAlex does carry future-dated publication_dates).
    dict(key="Q2", id="W4200000302", date="2024-07-14", cited=8, created="2024-05-31",
         partition=NEW_PARTITION, updated="2024-06-01T04:20:14.102655",
         arxiv="2407.10315",
         authors=[Q["haozhe_shan"], Q["qianyi_li"], Q["haim_sompolinsky"]],
         topics=[("T10320", 0.9969), ("T10581", 0.9527)]),
    dict(key="Q3", id="W4200000303", date="2023-09-08", cited=17, created="2023-09-11",
         partition=OLD_PARTITION, updated="2024-01-15T03:58:30.617722",
         authors=[Q["yehonatan_avidan"], Q["qianyi_li"], Q["haim_sompolinsky"]],
         topics=[("T10320", 0.9982), ("T11493", 0.9710), ("T10581", 0.9208)]),
    # EDGE CASE 2 (merged author id): Sompolinsky is listed under his old id A5099000001,
    # which merged_ids/authors maps to A5012345678. Tests merged-id resolution: unresolved,
    # he would share only 3 works with Qianyi Li (and be two different people).
    dict(key="Q4", id="W4200000304", date="2020-12-07", cited=78, created="2020-12-09",
         partition=OLD_PARTITION, updated="2024-01-15T03:58:31.240067",
         arxiv="2012.04030",
         authors=[Q["qianyi_li"], (SOMPOLINSKY_OLD_ID, "H. Sompolinsky")],
         topics=[("T11273", 0.9990), ("T10320", 0.9893)]),
    # ---- seed 004 Lifu Wang: 3 works, topics {T10320, T11612} = 2.
    # Close: Chen (3 works), Li (F1 F2), Tang (F2 F3), Guo (F1 F3); Sun shares only F3.
    dict(key="F1", id="W4200000401", date="2022-02-01", cited=6, created="2022-02-03",
         partition=NEW_PARTITION, updated="2024-06-01T05:02:47.310588",
         authors=[Q["lifu_wang"], "A5040000011", "A5040000012", "A5040000014"],
         topics=[("T10320", 0.9958), ("T11612", 0.9134)]),
    dict(key="F2", id="W4200000402", date="2020-06-10", cited=9, created="2020-06-12",
         partition=NEW_PARTITION, updated="2024-06-01T05:02:48.127941",
         authors=[Q["lifu_wang"], "A5040000012", "A5040000013", "A5040000011"],
         topics=[("T10320", 0.9987)]),
    dict(key="F3", id="W4200000403", date="2020-07-22", cited=4, created="2020-07-24",
         partition=NEW_PARTITION, updated="2024-06-01T05:02:49.006713",
         authors=[Q["lifu_wang"], "A5040000013", "A5040000014", "A5040000015", "A5040000011"],
         topics=[("T11612", 0.9979), ("T10320", 0.9650)]),
]
SEED_WORKS = {"qianli_liao": ["L1", "L2", "L3"], "liu_ziyin": [f"Z{i}" for i in range(1, 10)],
              "qianyi_li": ["Q1", "Q2", "Q3", "Q4"], "lifu_wang": ["F1", "F2", "F3"]}
SEED_PAGES = {"qianli_liao": "000_", "liu_ziyin": "002_", "qianyi_li": "003_", "lifu_wang": "004_"}

# Older versions of works (EDGE CASE 1): key -> overrides written to the older partition.
OLD_VERSIONS = {
    "Q1": dict(partition=OLD_PARTITION, updated="2024-01-15T03:58:29.402113", cited=24),
}

# --------------------------------------------------------------------------------------
# Author records (data/authors). works_count / cited_by_count are OpenAlex's own figures,
# deliberately not those of the sample (the warehouse must count its own works).
# EDGE CASE 4: only seeds and a few co-authors have records; the rest appear on works only.
# --------------------------------------------------------------------------------------
AUTHOR_RECORDS = [
    # id, works_count, cited_by_count, (2yr_mean_citedness, h_index, i10_index), alternatives, updated
    ("A5010000001", 41, 1500, (1.2, 10, 10), [], "2024-06-01T10:00:00.000000"),
    ("A5020000002", 52, 1210, (3.4, 17, 24), ["Ziyin Liu", "L. Ziyin"], "2024-06-01T10:00:00.000000"),
    ("A5030000003", 7, 152, (2.1, 4, 3), [], "2024-06-01T10:00:00.000000"),
    ("A5040000004", 12, 61, (0.8, 4, 2), ["Wang Lifu"], "2024-06-01T10:00:00.000000"),
    ("A5012345678", 318, 38250, (4.9, 82, 221), ["H. Sompolinsky", "Haim Sompolinksy"],
     "2024-06-01T10:00:01.250000"),
    ("A5030000011", 9, 143, (2.6, 5, 4), [], "2024-06-01T10:00:01.500000"),
    ("A5030000012", 3, 21, (1.5, 2, 1), [], "2024-06-01T10:00:01.750000"),
    ("A5020000011", 64, 905, (2.2, 15, 21), [], "2024-06-01T10:00:02.000000"),
    ("A5010000011", 77, 4210, (3.1, 28, 52), [], "2024-06-01T10:00:02.250000"),
]
AUTHOR_CREATED = "2023-07-21"

# --------------------------------------------------------------------------------------
# Platform events. Only co-authors have events; the seeds have none (0 followers, unclaimed).
# EDGE CASE 5: Sompolinsky is followed by u-0001/u-0002/u-0003, unfollowed by u-0002
# (=> 2 followers), claimed and verified. ev-0002 (u-0002's follow) is redelivered verbatim
# at the end of the file, after the unfollow: de-duplicating by event_id (or replaying in
# occurred_at order) keeps 2 followers; counting rows or replaying in file order gives 3.
# Also: Keller is followed then unfollowed by the same user (=> 0), Moriyama has 2 followers,
# Shan is claimed but not verified.
# --------------------------------------------------------------------------------------
S, SHAN, KELLER, MORIYAMA = Q["haim_sompolinsky"], Q["haozhe_shan"], "A5010000011", "A5020000011"
EVENTS = [
    ("ev-0001", "author.followed", S, "u-0001", "2024-06-02T09:00:00Z"),
    ("ev-0002", "author.followed", S, "u-0002", "2024-06-02T09:05:00Z"),
    ("ev-0003", "author.followed", MORIYAMA, "u-0001", "2024-06-02T10:30:00Z"),
    ("ev-0004", "author.followed", S, "u-0003", "2024-06-03T08:15:00Z"),
    ("ev-0005", "author.claimed", S, "u-0010", "2024-06-03T12:00:00Z"),
    ("ev-0006", "author.followed", KELLER, "u-0004", "2024-06-04T16:20:00Z"),
    ("ev-0007", "author.unfollowed", S, "u-0002", "2024-06-05T11:45:00Z"),
    ("ev-0008", "author.verified", S, "u-9001", "2024-06-06T09:00:00Z"),
    ("ev-0009", "author.followed", MORIYAMA, "u-0005", "2024-06-06T14:10:00Z"),
    ("ev-0010", "author.claimed", SHAN, "u-0011", "2024-06-07T07:30:00Z"),
    ("ev-0011", "author.unfollowed", KELLER, "u-0004", "2024-06-08T18:00:00Z"),
]
DUPLICATED_EVENT = "ev-0002"


# ======================================================================================
# Building records
# ======================================================================================
def url(short_id: str) -> str:
    return OPENALEX + short_id


def short(full_id: str) -> str:
    return full_id.rsplit("/", 1)[-1]


def inverted_index(text: str) -> dict[str, list[int]]:
    """OpenAlex's abstract_inverted_index: split on single spaces, word -> positions."""
    index: dict[str, list[int]] = {}
    for position, word in enumerate(text.split(" ")):
        index.setdefault(word, []).append(position)
    return index


def topic_object(topic_id: str, score: float) -> dict:
    name, (sf_id, sf), (f_id, f), (d_id, d) = TOPICS[topic_id]
    return {"id": url(topic_id), "display_name": name, "score": score,
            "subfield": {"id": OPENALEX + "subfields/" + sf_id, "display_name": sf},
            "field": {"id": OPENALEX + "fields/" + f_id, "display_name": f},
            "domain": {"id": OPENALEX + "domains/" + d_id, "display_name": d}}


def authorship(position: str, entry) -> dict:
    author_id, raw_name = entry if isinstance(entry, tuple) else (entry, None)
    name, orcid = PEOPLE.get(author_id) or OLD_IDS[author_id]
    return {"author_position": position,
            "author": {"id": url(author_id), "display_name": name, "orcid": orcid},
            "institutions": [], "raw_author_name": raw_name or name}


def work_record(w: dict) -> dict:
    title, abstract = TEXTS[w["key"]]
    topics = [topic_object(t, s) for t, s in w["topics"]]
    n = len(w["authors"])
    positions = ["first"] + ["middle"] * (n - 2) + ["last"] if n > 1 else ["first"]
    arxiv = w.get("arxiv")
    return {
        "id": url(w["id"]),
        "doi": f"https://doi.org/10.48550/arxiv.{arxiv}" if arxiv else None,
        "title": title,
        "display_name": title,
        "publication_year": int(w["date"][:4]),
        "publication_date": w["date"],
        "ids": {"openalex": url(w["id"]),
                **({"doi": f"https://doi.org/10.48550/arxiv.{arxiv}"} if arxiv else {})},
        "language": "en",
        "type": "preprint",
        "cited_by_count": w["cited"],
        "primary_location": {"source": dict(ARXIV_SOURCE),
                             "landing_page_url": f"https://arxiv.org/abs/{arxiv}" if arxiv else None},
        "authorships": [authorship(p, a) for p, a in zip(positions, w["authors"])],
        "topics": topics,
        "primary_topic": topics[0],
        "abstract_inverted_index": inverted_index(abstract),
        "updated_date": w["updated"],
        "created_date": w["created"],
    }


def author_record(row) -> dict:
    author_id, works_count, cited, (mean2, h, i10), alternatives, updated = row
    name, orcid = PEOPLE[author_id]
    return {
        "id": url(author_id), "orcid": orcid, "display_name": name,
        "display_name_alternatives": alternatives, "works_count": works_count,
        "cited_by_count": cited,
        "summary_stats": {"2yr_mean_citedness": mean2, "h_index": h, "i10_index": i10},
        "ids": {"openalex": url(author_id), **({"orcid": orcid} if orcid else {})},
        "last_known_institutions": [], "topics": [],
        "updated_date": updated, "created_date": AUTHOR_CREATED,
    }


def jsonl(records) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")


def gz(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9, mtime=0)  # mtime=0: reproducible bytes


def write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def write_entity(out: Path, entity: str, partitions: dict[str, list[dict]]) -> list[Path]:
    """Write updated_date=*/part_000.gz files and the manifest for one entity."""
    base = out / "openalex" / "data" / entity
    entries, written = [], []
    for date in sorted(partitions):
        data = gz(jsonl(partitions[date]))
        path = base / f"updated_date={date}" / "part_000.gz"
        write_bytes(path, data)
        written.append(path)
        entries.append({"url": f"s3://openalex/data/{entity}/updated_date={date}/part_000.gz",
                        "meta": {"content_length": len(data),
                                 "record_count": len(partitions[date])}})
    manifest = {"entries": entries,
                "meta": {"content_length": sum(e["meta"]["content_length"] for e in entries),
                         "record_count": sum(e["meta"]["record_count"] for e in entries)}}
    write_bytes(base / "manifest", (json.dumps(manifest, indent=2) + "\n").encode("utf-8"))
    return [base / "manifest", *written]


def build(out: Path) -> list[Path]:
    works: dict[str, list[dict]] = defaultdict(list)
    for w in WORKS:
        if w["key"] in OLD_VERSIONS:
            works[OLD_VERSIONS[w["key"]]["partition"]].append(
                work_record({**w, **OLD_VERSIONS[w["key"]]}))
        works[w["partition"]].append(work_record(w))
    written = write_entity(out, "works", works)
    written += write_entity(out, "authors", {NEW_PARTITION: [author_record(r) for r in AUTHOR_RECORDS]})

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["merge_date", "id", "merge_into_id"])
    writer.writerow([MERGE_DATE, SOMPOLINSKY_OLD_ID, AUTHOR_IDS["haim_sompolinsky"]])
    merged = out / "openalex" / "data" / "merged_ids" / "authors" / f"{MERGE_DATE}.csv.gz"
    write_bytes(merged, gz(buf.getvalue().encode("utf-8")))
    written.append(merged)

    keys = ("event_id", "type", "author_id", "actor_id", "occurred_at")
    events = [dict(zip(keys, e)) for e in EVENTS]
    events.append(next(e for e in events if e["event_id"] == DUPLICATED_EVENT))  # redelivery
    path = out / "platform" / "events.jsonl"
    write_bytes(path, jsonl(events))
    written.append(path)
    return written


# ======================================================================================
# Checking: recompute everything from the written files, in plain Python.
# ======================================================================================
def read_lines(path: Path) -> list[dict]:
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    text = raw.decode("utf-8")
    assert text.endswith("\n"), f"{path}: no trailing newline"
    lines = text[:-1].split("\n")
    assert all(line.strip() for line in lines), f"{path}: blank line"
    return [json.loads(line) for line in lines]


def read_entity(out: Path, entity: str) -> list[tuple[str, dict]]:
    """Read an entity through its manifest, checking the manifest against the files."""
    base = out / "openalex" / "data" / entity
    manifest = json.loads((base / "manifest").read_text())
    prefix = f"s3://openalex/data/{entity}/"
    listed = {e["url"][len(prefix):] for e in manifest["entries"]}
    on_disk = {p.relative_to(base).as_posix() for p in base.glob("updated_date=*/*.gz")}
    assert listed == on_disk, f"{entity}: manifest {sorted(listed)} != files {sorted(on_disk)}"
    rows = []
    for entry in manifest["entries"]:
        assert entry["url"].startswith(prefix)
        path = base / entry["url"][len(prefix):]
        records = read_lines(path)
        assert entry["meta"] == {"content_length": path.stat().st_size,
                                 "record_count": len(records)}, f"{path}: manifest meta"
        partition = path.parent.name.split("=", 1)[1]
        for r in records:
            assert r["updated_date"].startswith(partition), f"{r['id']} not in its partition"
        rows += [(partition, r) for r in records]
    assert manifest["meta"] == {
        "content_length": sum(e["meta"]["content_length"] for e in manifest["entries"]),
        "record_count": sum(e["meta"]["record_count"] for e in manifest["entries"])}
    return rows


def figures(works: dict[str, dict], resolve, dedupe: bool = True) -> dict:
    """Per author: works, topics, co-author -> shared works (the warehouse rules)."""
    per_author_works: dict[str, set] = defaultdict(set)
    per_author_topics: dict[str, set] = defaultdict(set)
    shared: dict[str, Counter] = defaultdict(Counter)
    for work_id, w in works.items():
        authors = [resolve(short(a["author"]["id"])) for a in w["authorships"]]
        if dedupe:
            authors = list(dict.fromkeys(authors))
        for a in authors:
            per_author_works[a].add(work_id)
            per_author_topics[a].update(short(t["id"]) for t in w["topics"])
            for b in authors:
                if b != a:
                    shared[a][b] += 1
    return {"works": per_author_works, "topics": per_author_topics, "shared": shared}


def close_count(fig: dict, author_id: str) -> int:
    return sum(1 for n in fig["shared"][author_id].values() if n >= CLOSE_MIN_SHARED_WORKS)


def check(out: Path, seeds: Path | None) -> None:
    id_re = {"W": re.compile(r"^W\d{10}$"), "A": re.compile(r"^A5\d{9}$"), "T": re.compile(r"^T1\d{4}$")}

    # --- works: newest updated_date wins ------------------------------------------------
    rows = read_entity(out, "works")
    latest: dict[str, dict] = {}
    versions = Counter(short(r["id"]) for _, r in rows)
    for _, r in rows:
        wid = short(r["id"])
        assert id_re["W"].match(wid), wid
        if wid not in latest or r["updated_date"] > latest[wid]["updated_date"]:
            latest[wid] = r
    assert [w for w, n in versions.items() if n > 1] == ["W4200000301"], versions

    # --- merged ids ----------------------------------------------------------------------
    merged_path = out / "openalex" / "data" / "merged_ids" / "authors" / f"{MERGE_DATE}.csv.gz"
    reader = csv.DictReader(io.StringIO(gzip.decompress(merged_path.read_bytes()).decode("utf-8")))
    assert reader.fieldnames == ["merge_date", "id", "merge_into_id"]
    merges = {row["id"]: row["merge_into_id"] for row in reader}
    assert merges == {SOMPOLINSKY_OLD_ID: AUTHOR_IDS["haim_sompolinsky"]}

    def resolve(author_id: str) -> str:
        while author_id in merges:
            author_id = merges[author_id]
        return author_id

    # --- identity: one id per person, one person per id ----------------------------------
    names_by_id: dict[str, set] = defaultdict(set)
    ids_by_name: dict[str, set] = defaultdict(set)
    for w in latest.values():
        assert w["abstract_inverted_index"] and w["primary_topic"] == w["topics"][0]
        for t in w["topics"]:
            assert id_re["T"].match(short(t["id"])), t["id"]
        for a in w["authorships"]:
            aid = resolve(short(a["author"]["id"]))
            assert id_re["A"].match(short(a["author"]["id"])), a["author"]["id"]
            names_by_id[aid].add(a["author"]["display_name"])
            ids_by_name[a["author"]["display_name"]].add(aid)
    assert all(len(v) == 1 for v in names_by_id.values()), names_by_id
    assert all(len(v) == 1 for v in ids_by_name.values()), ids_by_name

    # --- authors -------------------------------------------------------------------------
    authors = {short(r["id"]): r for _, r in read_entity(out, "authors")}
    assert len(authors) == len(AUTHOR_RECORDS), "duplicate author record"
    assert not set(authors) & set(merges), "a merged-away id still has an author record"
    assert authors[AUTHOR_IDS["haim_sompolinsky"]]["orcid"]
    for aid, r in authors.items():
        assert names_by_id[aid] == {r["display_name"]}, aid

    def resolve_name(authorship: dict) -> str:
        return PEOPLE[resolve(short(authorship["author"]["id"]))][0]

    # --- seed figures ----------------------------------------------------------------------
    fig = figures(latest, resolve)
    report = {}
    for seed, expected in EXPECTED.items():
        aid = AUTHOR_IDS[seed]
        got = {"works": len(fig["works"][aid]), "topics": len(fig["topics"][aid]),
               "close_collaborators": close_count(fig, aid),
               "collaborators": len(fig["shared"][aid])}
        assert authors[aid]["orcid"] is None, f"{seed} must be L1 (no ORCID)"
        assert all(a["author"]["orcid"] is None for w in latest.values() for a in w["authorships"]
                   if short(a["author"]["id"]) == aid), f"{seed}: ORCID on a work"
        for key in ("works", "topics", "close_collaborators"):
            if key in expected:
                assert got[key] == expected[key], f"{seed} {key}: {got[key]} != {expected[key]}"
        report[seed] = got
    qli = AUTHOR_IDS["qianyi_li"]
    cited = sum(latest[w]["cited_by_count"] for w in fig["works"][qli])
    assert cited == EXPECTED["qianyi_li"]["cited_by_count"], cited
    report["qianyi_li"]["cited_by_count"] = cited
    for who, n in EXPECTED["qianyi_li"]["shared_works"].items():
        got = fig["shared"][qli][AUTHOR_IDS[who]]
        assert got == n, f"qianyi_li shares {got} works with {who}, expected {n}"
    report["qianyi_li"]["shared_works"] = {
        who: fig["shared"][qli][AUTHOR_IDS[who]] for who in EXPECTED["qianyi_li"]["shared_works"]}

    # --- the edge cases bite: the naive computation gives other figures --------------------
    all_versions_cited = sum(r["cited_by_count"] for _, r in rows
                             if any(short(a["author"]["id"]) == qli for a in r["authorships"]))
    assert all_versions_cited != 134, "edge case 1 has no effect"
    unresolved = figures(latest, lambda a: a)
    assert unresolved["shared"][qli][AUTHOR_IDS["haim_sompolinsky"]] == 3, "edge case 2 has no effect"
    not_deduped = figures(latest, resolve, dedupe=False)
    assert close_count(not_deduped, AUTHOR_IDS["liu_ziyin"]) == 5, "edge case 3 has no effect"

    # --- platform events -------------------------------------------------------------------
    events = read_lines(out / "platform" / "events.jsonl")
    by_id: dict[str, dict] = {}
    for e in events:
        assert by_id.setdefault(e["event_id"], e) == e, "same event_id, different content"
    assert len(events) - len(by_id) == 1, "expected exactly one duplicated event"
    followers: dict[str, set] = defaultdict(set)
    claimed, verified = set(), set()
    for e in sorted(by_id.values(), key=lambda e: (e["occurred_at"], e["event_id"])):
        if e["type"] == "author.followed":
            followers[e["author_id"]].add(e["actor_id"])
        elif e["type"] == "author.unfollowed":
            followers[e["author_id"]].discard(e["actor_id"])
        elif e["type"] == "author.claimed":
            claimed.add(e["author_id"])
        elif e["type"] == "author.verified":
            verified.add(e["author_id"])
        else:
            raise AssertionError(f"unknown event type {e['type']}")
    seed_ids = {AUTHOR_IDS[s] for s in EXPECTED}
    assert not seed_ids & {e["author_id"] for e in events}, "seeds must have no events"
    assert all(e["author_id"] in PEOPLE for e in events)
    som = AUTHOR_IDS["haim_sompolinsky"]
    assert len(followers[som]) == 2 and som in claimed and som in verified
    naive = sum({"author.followed": 1, "author.unfollowed": -1}.get(e["type"], 0)
                for e in events if e["author_id"] == som)
    assert naive == 3, "edge case 5 has no effect"

    # --- text is verbatim from the seed pages (when they are available) --------------------
    if seeds and seeds.is_dir():
        for seed, keys in SEED_WORKS.items():
            page = next(seeds.glob(SEED_PAGES[seed] + "*.txt")).read_text(encoding="utf-8")
            lines = set(page.split("\n"))
            on_page = len(re.findall(r"(?m)^(?:preprint\d{4}arXiv|LG[A-Z][a-z]{2} \d{1,2}, \d{4})$", page))
            assert on_page == len(keys), f"{seed}: {on_page} works on the page, {len(keys)} here"
            for key in keys:
                w = latest[next(x["id"] for x in WORKS if x["key"] == key)]
                assert w["title"] in lines, f"{key}: title not on page"
                words = sorted((p, word) for word, ps in w["abstract_inverted_index"].items() for p in ps)
                assert " ".join(word for _, word in words) in lines, f"{key}: abstract not on page"
                if seed == "qianyi_li":  # dated listing with author names
                    y, m, d = (int(x) for x in w["publication_date"].split("-"))
                    month = "JanFebMarAprMayJunJulAugSepOctNovDec"[3 * m - 3:3 * m]
                    assert f"LG{month} {d}, {y}" in lines, f"{key}: date not on page"
                    names = ", ".join(dict.fromkeys(resolve_name(a) for a in w["authorships"]))
                    assert any(line.split(" · ")[0] == names for line in lines), f"{key}: {names}"
                else:
                    assert f"preprint{w['publication_year']}arXiv" in lines, f"{key}: year"
        print(f"verbatim titles/abstracts checked against {seeds}")

    print("sample check passed")
    for seed, got in report.items():
        print(f"  {seed:12s} {AUTHOR_IDS[seed]}  {got}")
    print(f"  haim_sompolinsky followers={len(followers[som])} claimed verified; "
          f"works: {len(latest)} distinct in {len(rows)} lines")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    parser.add_argument("--check", action="store_true", help="only check existing files")
    parser.add_argument("--seeds", type=Path, default=DEFAULT_SEEDS,
                        help="seed pages, for the verbatim-text check (skipped if absent)")
    args = parser.parse_args(argv)
    if not args.check:
        for path in build(args.out):
            print(f"wrote {path.relative_to(REPO) if REPO in path.parents else path}")
    check(args.out, args.seeds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
