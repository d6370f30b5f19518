"""isotrack: track TCVN ISO 9001 quality-management-system adoption across an organisation."""

__version__ = "0.1.0"
