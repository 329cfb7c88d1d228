-- A company's file lists its contacts' periodic survey answers, newest first.
CREATE INDEX survey_invitations_company ON survey_invitations (company, answered_at DESC)
    WHERE answered_at IS NOT NULL;
