"""ketlit: turn PubMed and ClinicalTrials.gov records into checkable evidence."""

__version__ = "0.1.0"
