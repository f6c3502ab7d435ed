app_name = "okrs"

urlpatterns: list = []
