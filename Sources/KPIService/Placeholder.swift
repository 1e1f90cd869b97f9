// KPIService
