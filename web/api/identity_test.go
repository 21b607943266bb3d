package api_test

import "gavel/auction/auctiontest"

// idn is the valid identity number tests know a person key by.
var idn = auctiontest.IDNumber
