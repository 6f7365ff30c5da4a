"""DSS adapters and macro entry points: the only modules importing ``dataiku``."""
