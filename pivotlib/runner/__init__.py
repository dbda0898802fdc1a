"""Runner layer: execute notebooks with papermill, export HTML, keep the reports index."""
