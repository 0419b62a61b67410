"""Her phone going dark: heartbeats (battery, location) during a running safety timer or a live
alert, and one warning to her guardians per episode of low battery or silence."""
