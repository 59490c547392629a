"""Reference execution: integer-exact numpy twins of the C kernels."""
