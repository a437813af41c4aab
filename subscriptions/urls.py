from subscriptions import urls_account, urls_changes

app_name = "subscriptions"

urlpatterns = [*urls_account.urlpatterns, *urls_changes.urlpatterns]
