"""Northstar Advisory brand pack for implassess: the ``northstar`` report theme (Source Sans
Pro, petrol and amber, Letter), an "About Northstar Advisory" report section and a branded
executive-summary narrative. The hooks are in :mod:`implassess_brand_northstar.plugin`."""
