"""Documents of a bilan: AI drafts, consultant review and validation, branded PDFs, signature."""
