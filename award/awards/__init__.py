"""Awards (表彰): the confirmed final list, the title's validity, revocation and the re-application ban."""
