"""Pure governance logic: no database, network, file or clock access happens here."""
