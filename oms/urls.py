from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from oms import views

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("healthz", views.healthz, name="healthz"),
    path("audit/", views.audit_list, name="audit_list"),
    path("outbox/", views.outbox_list, name="outbox_list"),
    path("users/", views.staff_list, name="staff_list"),
    path("users/new/", views.staff_create, name="staff_create"),
    path("users/<int:pk>/", views.staff_edit, name="staff_edit"),
    path("users/<int:pk>/password/", views.staff_password_reset, name="staff_password_reset"),
    path("outbox/<int:pk>/retry/", views.outbox_retry, name="outbox_retry"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("i18n/setlang/", views.language_set, name="set_language"),
    path("django-admin/", admin.site.urls),
]

for app in settings.PROJECT_APPS:
    if app != "oms":
        urlpatterns.append(path("", include(f"{app}.urls")))
