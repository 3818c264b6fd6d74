"""Email: the messages PostFlow mails, how they are recorded and sent (through a transport
port the composition root builds), members' addresses and preferences, and the notice sink
that mails people about what they asked to hear."""
