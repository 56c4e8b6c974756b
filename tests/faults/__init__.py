"""The fault suite (issue 12): every fault class against a real Home Assistant, one table."""
