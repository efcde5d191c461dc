// Package ticketstest runs fake Jira (Cloud REST v3, Data Center REST v2, Jira Service
// Management approvals) and ServiceNow (Table API change_request and
// sysapproval_approver, OAuth client-credentials token endpoint) servers for tests, and
// signs the webhooks they would send. The fakes check authentication as the real systems
// do, and can be made slow or failing to test outages.
package ticketstest
