import KPIService
print("kpi-ingest: not yet")
