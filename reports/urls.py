from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("reports/", views.dashboard, name="dashboard"),
    path("reports/top/", views.top, name="top"),
    path("reports/kpis/", views.kpis, name="kpis"),
    path("reports/jobs/", views.job_list, name="job_list"),
    path("reports/jobs/new/", views.job_create, name="job_create"),
    path("reports/jobs/<int:pk>/", views.job_status, name="job_status"),
    path("reports/jobs/<int:pk>/download/", views.job_download, name="job_download"),
    path("reports/forecast/", views.forecast, name="forecast"),
    path("reports/forecast/reorder-points/", views.reorder_points, name="reorder_points"),
    path("reports/schedules/new/", views.schedule_create, name="schedule_create"),
    path("reports/schedules/<int:pk>/stop/", views.schedule_stop, name="schedule_stop"),
]
