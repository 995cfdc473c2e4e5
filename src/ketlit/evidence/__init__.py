"""Study-level evidence reading: sentence roles, study question, findings, groups (issue 12)."""
