"""What the tests share besides fixtures: runs, data, pages, servers, browsers."""
