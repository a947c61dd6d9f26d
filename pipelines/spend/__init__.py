"""Council spending files: discover, fetch, parse (`parse.parse_spend`) and load into staging."""
