"""The widgets of trainlab (ipywidgets + plotly; no math here, the compute layer does it)."""
