package page

// What the external tests need of the package's insides.
var (
	// DefaultZone is the zone pages show times in without --timezone.
	DefaultZone = defaultZone
	// Asset is a static file's versioned URL.
	Asset = asset
)

// BrowsePageSize is how many auctions one catalogue page lists.
const BrowsePageSize = browsePageSize
