"""Keep it Local observatory: the plain library (fetching, parsing, normalising, warehouse SQL).

Nothing in this package imports the Dagster assets in `assets/`; the sample world in
`pipelines/sample/` is used by the demo and the tests only, never by the library.
"""

__version__ = "0.1.0"
