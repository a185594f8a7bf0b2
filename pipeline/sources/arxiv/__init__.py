"""arXiv: the export API client (``arxiv-api:author=NAME``) and its Atom parser.

Importing the package registers the ``arxiv-atom`` raw record format (the catalog
imports it), so landing and ``replay:`` read arXiv pages in any process.
"""

from pipeline.sources.arxiv import records as records  # noqa: F401  (registers the format)
