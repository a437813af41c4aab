from subscriptions import urls_account, urls_changes, urls_notifications

app_name = "subscriptions"

urlpatterns = [*urls_account.urlpatterns, *urls_changes.urlpatterns, *urls_notifications.urlpatterns]
