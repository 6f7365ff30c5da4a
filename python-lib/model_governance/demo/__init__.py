"""The local demonstration: synthetic dental-claims fraud data through the gate."""
