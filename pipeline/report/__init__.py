"""The HTML report (``pipeline report``): the last run, plots, one page per profile, the data dictionary."""
