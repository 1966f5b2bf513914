"""Pure Plotly figure builders and report exports drawn from an :class:`evaluation.ComparisonReport`."""
