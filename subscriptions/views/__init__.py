"""Function views, one module per area, all routed by `subscriptions.urls`.

`account` (sign-in by e-mailed or portal link, sign-out), `pages` (the signed-in customer's
subscriptions), `changes` (preview, consent and commit, receipt, history), `notifications` (the
vendor's payment notification endpoint) and `api` (portal sessions for the vendor's product);
`subscriptions.failures` turns a vendor failure into the friendly 503 page. Views parse input, load what the
customer may see through `subscriptions.access`, call one service and render; none calls the vendor.
"""
