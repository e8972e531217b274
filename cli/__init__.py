"""zhtext's command-line layer: argument parsing, progress bars and output formatting only.

Installed as the package ``zhtext_cli``; the library (``zhtext``) never imports it.
"""
