"""Contracts Finder and Find a Tender notices (OCDS): reading, flattening, polite clients, raw landing.

API facts in ../shared/docs/sources.md: Contracts Finder OCDS search (<=15-day windows, follow links.next,
403 = rate limited -> wait 300 s, invalid UTF-8), Find a Tender release packages (<=6-hour windows, >=10 s
between calls, 429 without Retry-After, invalid numbers `1e9999` / bare `000`, missing links.next).
"""
