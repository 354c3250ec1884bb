package prcheck.lib.secrets_test

import rego.v1

import data.prcheck.lib.secrets

test_mask_keeps_at_most_eight_characters if {
	secrets.mask("AKIAABCDEFGHIJKLXYZ1") == "AKIA…XYZ1 (20 chars)"
	secrets.mask("hunter2hunter2") == "hu…r2 (14 chars)"
	secrets.mask("hunter2") == "… (7 chars)"
}

test_mask_ignores_surrounding_space if {
	secrets.mask("  hunter2  ") == "… (7 chars)"
}

test_words_split_every_naming_style if {
	secrets.words("DB_PASSWORD") == ["DB", "PASSWORD"]
	secrets.words("dbPassword") == ["DB", "PASSWORD"]
	secrets.words("db-password.value") == ["DB", "PASSWORD", "VALUE"]
}

test_secret_names if {
	every name in ["DB_PASSWORD", "apiKey", "client_secret", "GITHUB_TOKEN", "PGPASSWORD", "SECRET_KEY", "deployKey"] {
		secrets.secret_name(name)
	}
}

test_names_that_only_point_at_secrets if {
	every name in ["PASSWORD_FILE", "TOKEN_URL", "SECRET_NAME", "API_KEY_ID", "LOG_LEVEL", "BYPASS_CACHE", "KEY", "adminPasswordKey"] {
		not secrets.secret_name(name)
	}
}

test_placeholders if {
	every value in ["changeme", "AKIAIOSFODNN7EXAMPLE", "${{ secrets.TOKEN }}", "$(TOKEN)", "${TOKEN}", "xxxxxxxx", "<your-token>", "ENC[AES256_GCM,data:x]", "true", "12345"] {
		not secrets.literal(value)
	}
}

test_literals if {
	every value in ["hunter2", "s3cr3t-value", "9f8e7d6c5b4a"] {
		secrets.literal(value)
	}
}
