"""ketlit: turn PubMed and ClinicalTrials.gov records into checkable evidence."""

from ketlit import native

# Before any other ketlit module loads: a compiled module whose source changed since the build
# is loaded from that source (see ketlit.native).
native.guard()

__version__ = "0.1.0"
