"""Knowledge: parsing merchants' uploads into documents and chunks, stored in SQL."""
