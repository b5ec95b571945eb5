"""Tools on top of everything: configs and specs (``to_config``'s inverse,
``parse``), plots and text charts, and the ``jaxdecay`` command (floor 6)."""
