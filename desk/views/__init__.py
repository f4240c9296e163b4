"""The desk's pages, in the admin's look (support agents only); one module per page."""
