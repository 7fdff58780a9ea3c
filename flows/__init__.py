"""shopreport: raw e-commerce exports -> DuckDB warehouse -> daily reports by mail.

The package is laid out by stage; each stage is plain functions, ``flows.pipeline`` strings them
into the steps of a run, and the Prefect flows in ``flows/daily_report.py`` wrap those thinly:

- ``flows.settings``   the one configuration file (``shopreport.toml``)
- ``flows.pipeline``   the steps of a run: ingest, build, render, deliver
- ``flows.archive``    where rendered reports are kept
- ``flows.freshness``  have the day's expected exports landed?
- ``flows.ledger``     what was sent, to whom, and whether it went out
- ``flows.runlock``    one run at a time per warehouse
- ``flows.ingest``     recognise, decode, parse and load exports into ``raw_*`` tables
- ``flows.warehouse``  the DuckDB file: schema, transform runner, checks
- ``flows.reports``    report context from ``rpt_*`` tables, charts, HTML and PDF
- ``flows.delivery``   mail (SMTP or a local outbox folder)
- ``flows.demo``       a deterministic demo business that writes real-format exports
"""
