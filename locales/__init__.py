"""The gettext catalogues (`<lang>/LC_MESSAGES/*.po`), a package so they travel in the wheel."""
