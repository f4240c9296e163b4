from django.urls import path

from .views import kpi_dashboard, kpi_export

urlpatterns = [
    path("kpis/", kpi_dashboard, name="kpi-dashboard"),
    path("kpis/export.csv", kpi_export, name="kpi-export"),
]
