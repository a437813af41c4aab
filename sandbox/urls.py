from django.urls import path

from sandbox import views

app_name = "sandbox"

urlpatterns = [
    path("api/subscription/<str:method>", views.api, name="api"),
    path("control/clock", views.control_clock, name="clock"),
    path("control/scenario", views.control_scenario, name="scenario"),
    path("control/purchases", views.control_purchases, name="purchases"),
    path("control/purchases/<int:purchase_id>/<str:kind>", views.control_money_back, name="money_back"),
    path("control/emails", views.control_emails, name="emails"),
    path("control/faults", views.control_faults, name="faults"),
    path("control/notifications", views.control_notifications, name="notifications"),
]
