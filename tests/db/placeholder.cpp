// placeholder: replaced as the part lands
