-- make the published warehouse the default database, so marts.x and core.x resolve without a prefix
use kil
