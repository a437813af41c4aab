"""Function views, one module per area: `account` (sign-in, sign-out, portal), `pages` (the customer's pages),
`api` (the portal-session API); the change flows live in `changes*` modules."""
