package page

// What the external tests need of the package's insides.
var (
	// Asset is a static file's versioned URL.
	Asset = asset
)

// BrowsePageSize is how many auctions one catalogue page lists.
const BrowsePageSize = browsePageSize
