from django.urls import path

from subscriptions import change_views

urlpatterns = [
    path("subscriptions/<int:subscription_id>/changes/", change_views.preview_create, name="change_preview"),
    path("changes/", change_views.history, name="changes"),
    path("changes/<uuid:quote_id>/", change_views.quote_detail, name="quote"),
    path("changes/<uuid:quote_id>/commit/", change_views.quote_commit, name="quote_commit"),
    path("changes/<uuid:quote_id>/receipt/", change_views.receipt, name="receipt"),
]
