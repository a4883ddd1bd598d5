"""Hamsayeh's site, installed under the import name `hamsayeh` (see
pyproject.toml), because the standard library's own `site` module takes the
folder's name.

- `domain/`: the product's rules, no Flask: every write, transaction and audit entry.
- `domain/access.py`: every object permission, as plain functions.
- `views/`: one blueprint per area: parse, load and authorize, one domain call, render.
- `web/`: the plumbing the views share: auth, forms, templating, errors, caches, PDFs, tasks.
- `persian.py`: digits, letters, Jalali dates, national codes and phone numbers.
"""
