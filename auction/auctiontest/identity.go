package auctiontest

import (
	"fmt"
	"hash/fnv"

	"gavel/auction"
)

// ResidentID returns a valid resident identity number (GB 11643, with its
// check character) that is the same for the same key and, in practice,
// different for different keys: tests name their people ("bidder-3",
// "applicant") and get numbers the one validation accepts.
func ResidentID(key string) string {
	h := fnv.New64a()
	h.Write([]byte(key))
	v := h.Sum64()
	// A Beijing area code 11xxxx, a birth date in 1950..1999 (the 28th at
	// the latest, so every month has it) and a three-digit sequence: about
	// 1.7e11 numbers, so that even a load test's many bidders do not meet.
	area := v % 10000
	v /= 10000
	year := 1950 + v%50
	v /= 50
	month := 1 + v%12
	v /= 12
	dayOf := 1 + v%28
	v /= 28
	first17 := fmt.Sprintf("11%04d%04d%02d%02d%03d", area, year, month, dayOf, v%1000)
	return first17 + string(auction.ResidentCheckChar(first17))
}

// CompanyID returns a valid unified social credit code (GB 32100) for key.
func CompanyID(key string) string {
	h := fnv.New64a()
	h.Write([]byte(key))
	first17 := fmt.Sprintf("91110000%09d", h.Sum64()%1000000000)
	return first17 + string(auction.CreditCheckChar(first17))
}

// IDNumber is the valid identity number tests know a person key by: key
// itself when it is already a valid resident number (in normal form), else
// ResidentID(key). The same key is the same person wherever a test uses it.
func IDNumber(key string) string {
	if id, err := auction.ParseIdentity("id_number", "", key, Start); err == nil {
		return id.Number
	}
	return ResidentID(key)
}
