"""The floor every domain stands on: config, database, transactions, identity, errors, the PWA shell.

Nothing here imports a domain package; the app factory that wires them lives in linli/.
"""
