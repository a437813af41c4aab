"""getsubscription and getsubscriptionsforcustomer return the guide's full Subscription object."""

from decimal import Decimal as D

from tests.sandbox.api import body_of

GUIDE_SUBSCRIPTION_FIELDS = {
    "CustomerCurrencyId", "CustomerId", "CustomerReferenceId", "CustomerReferenceNo", "EndDate", "GracePeriodDays",
    "Id", "IntervalDayCount", "IntervalMonthCount", "BillingIntervalDayCount", "BillingIntervalMonthCount", "Items",
    "LastIntervalNo", "LastBillingIntervalNo", "NextBillingCurrencyId", "NextBillingCustomerGrossPrice",
    "NextBillingCustomerNetPrice", "NextBillingCustomerVatPrice", "NextRenewalCustomerGrossPrice",
    "NextRenewalCustomerNetPrice", "NextRenewalCustomerVatPrice", "NextBillingDate", "NextRenewalDate",
    "NextBillingDateReminder", "PaymentInfo", "RenewalType", "StartDate", "StartIntervalDayCount",
    "StartIntervalMonthCount", "Subscriptionstatus", "ManagementModel", "SelfServiceUrl",
}  # fmt: skip
GUIDE_ITEM_FIELDS = {
    "Couponcode", "DeactivationDate", "EndDate", "IsCurrent", "LastIntervalNo", "NextBillingCurrencyId",
    "NextBillingCustomerGrossPrice", "NextBillingCustomerNetPrice", "NextBillingCustomerVatPrice",
    "NextRenewalCustomerGrossPrice", "NextRenewalCustomerNetPrice", "NextRenewalCustomerVatPrice", "ProductId",
    "ProductName", "ProductNameExtension", "PromotionId", "Quantity", "RecurrenceCount", "RunningNo", "StartDate",
    "Status", "SubscriptionId", "SubscriptionPurchaseItems", "Version", "VersionActiveDate",
}  # fmt: skip


def test_the_full_object_of_the_guide(api, demo):
    subscription = api.subscription("68574751")

    assert set(subscription) == GUIDE_SUBSCRIPTION_FIELDS
    assert set(subscription["Items"][0]) == GUIDE_ITEM_FIELDS
    assert subscription["Id"] == 68574751
    assert subscription["CustomerId"] == 159215775
    assert subscription["CustomerReferenceId"] == "skTI6EGSpGU1kODfm86bGsERjB5DGORw8Xj8wTGA"
    assert (subscription["IntervalMonthCount"], subscription["IntervalDayCount"]) == (1, 0)
    assert subscription["StartDate"] == "2026-04-23T15:57:14.106747"
    assert subscription["NextRenewalDate"] == "2026-05-23T15:57:14.106747"
    assert subscription["NextBillingDateReminder"] == "2026-05-21T15:57:14.106747Z"
    assert subscription["EndDate"] is None
    assert subscription["Subscriptionstatus"] == 1
    assert subscription["RenewalType"] == "Automatic"
    assert subscription["LastIntervalNo"] == 0
    assert subscription["SelfServiceUrl"].startswith("https://www.cleverbridge.com/864/s/s68574751-")
    assert subscription["PaymentInfo"] == {
        "CardExpirationDate": {"Month": 12, "Year": 2027},
        "CardLastFourDigits": "765T",
        "Currency": None,
        "CurrencyId": None,
        "IsPurchaseOrder": None,
        "PaymentType": "Visa",
        "PaymentTypeId": "CCA_VIS",
    }
    item = subscription["Items"][0]
    assert (item["ProductId"], item["ProductName"], item["Quantity"], item["RunningNo"]) == (
        293160,
        "Cloudify M",
        10,
        1,
    )
    assert (item["Version"], item["IsCurrent"], item["Status"]) == (1, True, 1)
    assert item["VersionActiveDate"] == "2026-04-23T15:57:14.106747"
    assert item["SubscriptionPurchaseItems"] == [
        {"PurchaseId": item["SubscriptionPurchaseItems"][0]["PurchaseId"], "PurchaseItemRunningNo": 1,
         "SubscriptionIntervalNo": 0, "BillingIntervalNo": 0}
    ]  # fmt: skip


def test_the_id_is_accepted_with_or_without_s(api, demo):
    assert api.subscription("S68841753")["Id"] == api.subscription("68841753")["Id"] == 68841753


def test_annual_subscription_counts_twelve_months(api, demo):
    subscription = api.subscription(68841753)

    assert (subscription["IntervalMonthCount"], subscription["StartIntervalMonthCount"]) == (12, 12)
    assert subscription["NextBillingCustomerGrossPrice"] == D("1200.00")


def test_a_customers_subscriptions_by_id_email_or_reference(api, demo):
    by_id = body_of(api.get("getsubscriptionsforcustomer", customerId="159215775"))
    by_email = body_of(api.get("getsubscriptionsforcustomer", customerEmail="Anna.Schmidt@example.com"))
    by_reference = body_of(
        api.get("getsubscriptionsforcustomer", customerReferenceId="skTI6EGSpGU1kODfm86bGsERjB5DGORw8Xj8wTGA")
    )

    assert by_id["ResultMessage"] == "OK"
    assert [s["Id"] for s in by_id["Subscriptions"]] == [68574751, 68841753]
    assert by_email == by_id == by_reference
    assert by_id["Subscriptions"][0] == api.subscription(68574751)
