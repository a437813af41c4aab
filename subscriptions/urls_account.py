from django.urls import path

from subscriptions import views

urlpatterns = [
    path("", views.home, name="home"),
]
